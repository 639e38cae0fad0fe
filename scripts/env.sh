# scripts/env.sh: sourced by the quickstart and test scripts. Open MPI refuses to run as root
# unless told twice; containers and CI machines run as root, so the scripts say it themselves
# and a user never has to export anything.
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Two ranks on a two-core machine, or more ranks than cores in tests, need --oversubscribe
# semantics; this is the MCA parameter behind that flag.
export OMPI_MCA_rmaps_base_oversubscribe=1
RLPT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RLPT_ROOT
jobs=$(nproc 2>/dev/null || echo 2)
