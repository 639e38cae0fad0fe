#!/usr/bin/env bash
# tests/rewards/cli_reward.sh: `rlpt reward` end to end: each text function on JSON lines,
# the details it prints, --set arguments, and the errors (exit status + message) for a bad
# line, a missing field, an unknown function or argument; --fn code on a stdin/stdout task.
set -u
fail=0
check() { # name, expected, got
    if [ "$2" != "$3" ]; then echo "FAIL $1: expected [$2] got [$3]"; fail=1; else echo "ok   $1"; fi
}
R() { "$RLPT" reward "$@"; }

out=$(printf '%s\n' '{"completion":"<think>\nhalf of 1\n</think>\n<answer>\n\\boxed{\\dfrac{1}{2}}\n</answer>","answer":"0.5"}' | R --fn math)
check "math reward" 1 "$(jq -r .reward <<<"$out")"
check "math extracted" '\dfrac{1}{2}' "$(jq -r .extracted <<<"$out")"
check "math method" boxed "$(jq -r .method <<<"$out")"
check "math why" equivalent "$(jq -r .why <<<"$out")"

out=$(printf '%s\n' '{"completion":"The point is \\boxed{(2,1)}.","answer":"(1,2)"}' | R --fn math --set incorrect=-1)
check "tuple order matters" -1 "$(jq -r .reward <<<"$out")"
check "tuple why" "not equivalent" "$(jq -r .why <<<"$out")"

# one output line per input line, in order
out=$(printf '%s\n%s\n\n%s\n' '{"completion":"#### 72","answer":"Natalia... #### 72"}' \
      '{"completion":"The answer is 71.","answer":"#### 72"}' \
      '{"completion":"so 1,000 in all","answer":1000}' | R --fn gsm8k | jq -c -r .reward | tr '\n' ' ')
check "gsm8k lines" "1 0 1 " "$out"

out=$(printf '%s\n' '{"completion":"<think>a</think> <answer>4</answer>"}' | R --fn format)
check "format strict" 0 "$(jq -r .reward <<<"$out")"
out=$(printf '%s\n' '{"completion":"<think>a</think> <answer>4</answer>"}' | R --fn format --set strict=false)
check "format lenient" 1 "$(jq -r .reward <<<"$out")"

out=$(printf '%s\n' '{"completion":"x","completion_tokens":18432}' | R --fn length)
check "length overlong" -0.5 "$(jq -r .reward <<<"$out")"
out=$(printf '%s\n' '{"completion":"a b a b a b"}' | R --fn repetition --set n=2)
check "repetition share" 0.6 "$(jq -r .repeated_share <<<"$out")"
out=$(printf '%s\n' '{"completion":"<think>\u0434\u0430 ok</think>"}' | R --fn language --set script=cyrillic)
check "language" 0.5 "$(jq -r .reward <<<"$out")"

# invalid UTF-8 in the completion: reward 0 and still valid JSON out (U+FFFD in "extracted")
out=$(printf '{"completion":"\\\\boxed{2\xff}","answer":"2"}\n' | R --fn math)
check "invalid utf-8 reward" 0 "$(jq -r .reward <<<"$out")"
check "invalid utf-8 extracted" "2$(printf '\xef\xbf\xbd')" "$(jq -r .extracted <<<"$out")"

# errors: status and message
err=$(printf '%s\n%s\n' '{"completion":"\\boxed{1}","answer":"1"}' 'not json' | R --fn math 2>&1 >/dev/null); st=$?
check "bad line status" 1 "$st"
check "bad line message" "rlpt: error: stdin line 2: not a JSON object" "$err"
err=$(printf '%s\n' '{"completion":"\\boxed{1}"}' | R --fn math 2>&1 >/dev/null); st=$?
check "missing answer status" 1 "$st"
grep -q 'stdin line 1: reward .math.: sample 0 has no "answer" field' <<<"$err" || { echo "FAIL missing answer message: $err"; fail=1; }
err=$(printf '%s\n' '{"completion":"x"}' | R --fn length 2>&1 >/dev/null); st=$?
check "length without tokens" 1 "$st"
out=$(printf '%s\n' '{"completion":"```python\nprint(int(input())*2)\n```","language":"python","inputs":["21\n"],"outputs":["42\n"]}' | R --fn code 2>&1); st=$?
check "code status" 0 "$st"
grep -q '^{"reward":1,"passed":1,"total":1,' <<<"$out" || { echo "FAIL code output: $out"; fail=1; }
err=$(R --fn nope </dev/null 2>&1); st=$?
check "unknown fn status" 2 "$st"
grep -q "unknown function 'nope' (built: math, gsm8k, format, length, repetition, language, code)" <<<"$err" || { echo "FAIL unknown fn message: $err"; fail=1; }
err=$(R --fn math --set corect=1 </dev/null 2>&1); st=$?
check "bad argument status" 3 "$st"
grep -q "unknown argument 'corect'" <<<"$err" || { echo "FAIL bad argument message: $err"; fail=1; }
R --help | grep -q "usage: rlpt reward --fn NAME" || { echo "FAIL --help"; fail=1; }
exit $fail
