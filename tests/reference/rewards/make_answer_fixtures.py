#!/usr/bin/python3
"""Makes the small answer fixtures of tests/data/rewards/ from the full datasets.

usage: make_answer_fixtures.py GSM8K_TEST_JSONL MATH500_TEST_JSONL OUTDIR

- gsm8k_test_answers.jsonl: one {"answer": ...} per GSM8K test problem (openai/grade-school-math
  grade_school_math/data/test.jsonl, MIT, see LICENSE-gsm8k.txt), the full reference solution
  ending in "#### N", in the original order (1319 lines). The question is dropped.
- math500_answers.jsonl: {"unique_id", "answer", "solution"} per MATH-500 problem
  (openai/prm800k math_splits/test.jsonl, MIT, see LICENSE-math500-*.txt), 500 lines.
Only the fields the reward tests read are kept, byte-for-byte as strings.
"""
import json
import sys

gsm, math500, out = sys.argv[1:4]
with open(gsm) as f, open(out + "/gsm8k_test_answers.jsonl", "w") as g:
    for line in f:
        g.write(json.dumps({"answer": json.loads(line)["answer"]}) + "\n")
with open(math500) as f, open(out + "/math500_answers.jsonl", "w") as g:
    for line in f:
        r = json.loads(line)
        g.write(json.dumps({k: r[k] for k in ("unique_id", "answer", "solution")}) + "\n")
