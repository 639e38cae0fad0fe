#!/bin/bash
# tests/rollout/test_workers.sh: runs test_workers (rollout_generate_mpi) at -np 1, 2 and 3.
set -euo pipefail
: "${RLPT_BINARY_DIR:?}"
for np in 1 2 3; do
    timeout 120 mpirun --oversubscribe -np $np "$RLPT_BINARY_DIR/tests/rollout/test_rollout_workers"
done
