#!/usr/bin/env bash
# tests/rl/grpo_train.sh: `rlpt train` through SFT, evaluation and GRPO on a small model.
# From one SFT checkpoint, GRPO runs at -np 1 and -np 2 (oversubscribed): the first step's
# rollouts use the same weights, so its reward, accuracy, lengths and zero-variance groups must
# be EQUAL (groups stay whole on one rank; sampling does not depend on the rank count); later
# steps stay equal too (bit-identity is checked below). Every metric
# DESIGN.md lists is present, and the behaviour log-probs of the rollout equal the trainer's
# recomputed ones within 1e-3 (the largest gap is printed).
set -u
cd "$RLPT_SOURCE_DIR" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1"; fi; }
small=(--set model.init.hidden=64 --set model.init.layers=2 --set model.init.heads=4
       --set model.init.kv_heads=2 --set model.init.ffn=192 --set data.synthetic.eval_size=40
       --set grpo.prompts_per_step=8 --set grpo.group_size=4 --set rollout.max_new_tokens=40
       --set run.progress=never --set run.checkpoint_every=0)
"$RLPT" train configs/demo.yaml "${small[@]}" --set pipeline=[sft] --set sft.steps=40 \
    --set run.dir="$tmp/sft" 2>"$tmp/err" || { echo "FAIL sft: $(cat "$tmp/err")"; exit 1; }
ck=$tmp/sft/demo/checkpoints/step-40
grpo=(configs/demo.yaml "${small[@]}" --set model.init.arch=none --set model.path="$ck"
      --set tokenizer.path="$ck" --set pipeline=[grpo] --set grpo.steps=3)
"$RLPT" train "${grpo[@]}" --set run.dir="$tmp/np1" 2>"$tmp/err1"
check "-np 1 run" '[ $? = 0 ] || { cat "$tmp/err1"; false; }'
mpirun --oversubscribe -np 2 "$RLPT" train "${grpo[@]}" --set run.dir="$tmp/np2" 2>"$tmp/err2"
check "-np 2 run" '[ $? = 0 ] || { cat "$tmp/err2"; false; }'
m1=$tmp/np1/demo/metrics.jsonl m2=$tmp/np2/demo/metrics.jsonl
field() { sed -E "s/.*\"$2\":([^,}]*).*/\1/" <<<"$1"; }
l1=$(head -1 "$m1") l2=$(head -1 "$m2")
for k in reward reward_std accuracy response_length truncated zero_std_groups; do
    check "step 0 $k equal at -np 1 and -np 2 ($(field "$l1" $k) vs $(field "$l2" $k))" \
        '[ "$(field "$l1" $k)" = "$(field "$l2" $k)" ]'
done
for k in loss clip_low clip_high dual_clip kl entropy ratio logp_diff_max reward_timeouts \
    grad_norm lr tokens_per_s time_rollout_s time_reward_s time_reference_s time_update_s \
    time_allreduce_s time_s sample_rounds groups_trained; do
    check "metric $k present" 'grep -q "\"$k\":" <<<"$l1"'
done
gap=$(sed -E 's/.*"logp_diff_max":([^,}]*).*/\1/' "$m1" "$m2" | sort -g | tail -1)
echo "largest behaviour vs recomputed log-prob gap: $gap"
check "log-prob gap $gap < 1e-3" 'awk -v g="$gap" "BEGIN { exit !(g < 1e-3) }"'
# at a rollout temperature of 0.7 the update's log-probs are taken at 0.7 too: they must equal
# the sampler's (computed by rollout/'s own kernels)
"$RLPT" train "${grpo[@]}" --set grpo.steps=2 --set rollout.temperature=0.7 \
    --set run.dir="$tmp/t07" 2>"$tmp/err3"
check "temperature 0.7 run" '[ $? = 0 ] || { cat "$tmp/err3"; false; }'
gap07=$(sed -E 's/.*"logp_diff_max":([^,}]*).*/\1/' "$tmp/t07/demo/metrics.jsonl" | sort -g | tail -1)
echo "largest log-prob gap at temperature 0.7: $gap07"
check "log-prob gap at T=0.7 $gap07 < 1e-3" 'awk -v g="$gap07" "BEGIN { exit !(g < 1e-3) }"'
# Bit-identical weights at -np 1, 2 and 4: gradients are summed in a fixed tree over leaves
# the data define (rl/grad_tree.c) and the ratio's old log-probs are recomputed by the trainer.
# At the default threads (two at -np 1, one per rank above): the model's values do not depend on
# its thread count (policy_sgemm, tests/policy/test_model_threads.c). A pipeline through SFT and GRPO
# with the KL term in the loss, two passes of two minibatches and dynamic sampling: the final
# weights and AdamW moments must be the same bytes, and every metric but timings and the
# sampler's log-prob gap (the sampler's batching differs) the same text.
bit=(configs/demo.yaml "${small[@]}" --set "pipeline=[sft, grpo]" --set sft.steps=10
     --set grpo.steps=3 --set grpo.mu=2 --set grpo.minibatches=2 --set grpo.beta=0.02
     --set grpo.dynamic_sampling=true) # default threads: 2 at -np 1, 1 per rank at -np 2 and 4
strip() { sed -E 's/,"time_[a-z_]*s":[^,}]*//g; s/,"tokens_per_s":[^,}]*//; s/,"logp_diff_max":[^,}]*//' "$1"; }
for np in 1 2 4; do
    mpirun --oversubscribe -np $np "$RLPT" train "${bit[@]}" --set run.dir="$tmp/bit$np" 2>"$tmp/errb$np"
    check "bit-identity run at -np $np" '[ $? = 0 ] || { cat "$tmp/errb$np"; false; }'
done
for np in 2 4; do
    check "-np $np: final weights identical to -np 1" 'cmp -s "$tmp/bit1/demo/final/model.safetensors" "$tmp/bit$np/demo/final/model.safetensors"'
    check "-np $np: AdamW moments identical to -np 1" 'cmp -s "$tmp/bit1/demo/checkpoints/step-13/optimizer.safetensors" "$tmp/bit$np/demo/checkpoints/step-13/optimizer.safetensors"'
    check "-np $np: metrics identical to -np 1" 'diff -q <(strip "$tmp/bit1/demo/metrics.jsonl") <(strip "$tmp/bit$np/demo/metrics.jsonl") >/dev/null'
done
# and at the default BLAS threads (2 at -np 1, 1 at -np 2), SFT alone
for np in 1 2; do
    mpirun --oversubscribe -np $np "$RLPT" train configs/demo.yaml "${small[@]}" --set pipeline=[sft] \
        --set sft.steps=10 --set run.dir="$tmp/sft$np" 2>"$tmp/errs$np"
    check "sft run at -np $np" '[ $? = 0 ] || { cat "$tmp/errs$np"; false; }'
done
check "sft: -np 2 weights identical to -np 1 at the default threads" 'cmp -s "$tmp/sft1/demo/final/model.safetensors" "$tmp/sft2/demo/final/model.safetensors"'
for f in "$tmp/np1" "$tmp/np2"; do
    check "$f: eval before and after" 'grep -q "\"before-grpo\"" "$f/demo/eval.jsonl" && grep -q "\"after-grpo\"" "$f/demo/eval.jsonl"'
    check "$f: samples written" '[ -s "$f/demo/samples.jsonl" ]'
done
# rejection sampling from the same checkpoint, keeping one sample per prompt whatever its
# reward, then an SFT stage on what it kept
"$RLPT" train configs/demo.yaml "${small[@]}" --set model.init.arch=none --set model.path="$ck" \
    --set tokenizer.path="$ck" --set "pipeline=[rejection, sft]" --set rejection.prompts=12 \
    --set rejection.min_reward=-1 --set rejection.max_per_prompt=1 --set sft.steps=2 \
    --set run.dir="$tmp/rej" 2>"$tmp/errr"
check "rejection + sft run" '[ $? = 0 ] || { cat "$tmp/errr"; false; }'
rj=$tmp/rej/demo/rejection.jsonl
check "rejection kept one per prompt (12)" '[ "$(wc -l <"$rj")" = 12 ]'
check "rejection lines are SFT traces" 'grep -q "^{\"question\":\".*\",\"completion\":" "$rj"'
check "rejection metrics" 'grep -q "\"stage\":\"rejection\",\"prompts\":12,\"samples\":48,\"kept\":12" "$tmp/rej/demo/metrics.jsonl"'
check "sft after rejection trained" '[ "$(grep -c "\"stage\":\"sft\"" "$tmp/rej/demo/metrics.jsonl")" = 2 ]'
# DeepSeek-R1's pipeline, SFT -> GRPO -> rejection sampling -> SFT -> GRPO, end to end; this
# barely trained model's kept traces re-encode longer than the model's positions (bytes of
# invalid UTF-8 come back as U+FFFD), which SFT cuts (TRL's max_length) and counts
"$RLPT" train configs/demo.yaml "${small[@]}" --set "pipeline=[sft, grpo, rejection, sft, grpo]" \
    --set sft.steps=3 --set grpo.steps=2 --set rejection.prompts=8 --set rejection.min_reward=-1 \
    --set model.init.max_positions=64 --set rollout.max_new_tokens=48 --set data.max_prompt_tokens=15 \
    --set run.dir="$tmp/r1" 2>"$tmp/errp"
check "R1 pipeline run" '[ $? = 0 ] || { cat "$tmp/errp"; false; }'
mr=$tmp/r1/demo/metrics.jsonl
check "R1 pipeline: 6 sft and 4 grpo steps, one rejection stage" \
    '[ "$(grep -c "\"stage\":\"sft\"" "$mr")" = 6 ] && [ "$(grep -c "\"stage\":\"grpo\"" "$mr")" = 4 ] && [ "$(grep -c "\"stage\":\"rejection\"" "$mr")" = 1 ]'
check "R1 pipeline: the second sft cut traces that did not fit" \
    'awk "/\"stage\":\"rejection\"/ { r = 1 } r && /\"stage\":\"sft\"/ && !/\"truncated\":0,/ { f = 1 } END { exit !f }" "$mr"'
# the eval stage alone: 4 samples per problem at temperature 1: the unbiased pass@2 and pass@4
# and maj@4 (math is the first reward) are reported and ordered: pass@1 <= pass@2 <= pass@4 and
# maj@4 <= pass@4 (a correct majority is a correct sample)
"$RLPT" eval configs/demo.yaml "${small[@]}" --set model.init.arch=none --set model.path="$ck" \
    --set tokenizer.path="$ck" --set eval.samples=4 --set eval.temperature=1.0 \
    --set run.dir="$tmp/ev" 2>"$tmp/erre"
check "eval stage run" '[ $? = 0 ] || { cat "$tmp/erre"; false; }'
ev=$(tail -1 "$tmp/ev/demo/eval.jsonl")
echo "eval: $ev"
a=$(field "$ev" accuracy) p2=$(field "$ev" pass@2) p4=$(field "$ev" pass@4) m4=$(field "$ev" maj@4)
check "pass@k and maj@k ordered ($a <= $p2 <= $p4, $m4 <= $p4)" \
    'awk -v a="$a" -v b="$p2" -v c="$p4" -v m="$m4" "BEGIN { exit !(a <= b && b <= c && m <= c && m >= 0) }"'
# dynamic sampling (DAPO): this barely trained model gets most groups all-zero, so rounds are
# re-drawn (up to 1 + 3); at -np 1 and -np 2 the same groups are kept, so the first step's
# rounds, kept groups and sample metrics are equal
for np in 1 2; do
    mpirun --oversubscribe -np $np "$RLPT" train "${grpo[@]}" --set grpo.steps=2 \
        --set grpo.dynamic_sampling=true --set run.dir="$tmp/dyn$np" 2>"$tmp/errd$np"
    check "dynamic sampling run at -np $np" '[ $? = 0 ] || { cat "$tmp/errd$np"; false; }'
done
d1=$(head -1 "$tmp/dyn1/demo/metrics.jsonl") d2=$(head -1 "$tmp/dyn2/demo/metrics.jsonl")
echo "dynamic sampling, step 0: rounds $(field "$d1" sample_rounds), groups trained $(field "$d1" groups_trained) of 8, zero-variance share $(field "$d1" zero_std_groups)"
check "dynamic sampling re-drew rounds (2..4)" 'r=$(field "$d1" sample_rounds); [ "$r" -ge 2 ] && [ "$r" -le 4 ]'
check "dynamic sampling trained 1..8 groups" 'g=$(field "$d1" groups_trained); [ "$g" -ge 1 ] && [ "$g" -le 8 ]'
for k in sample_rounds groups_trained reward accuracy zero_std_groups response_length; do
    check "dynamic sampling step 0 $k equal at -np 1 and -np 2" '[ "$(field "$d1" $k)" = "$(field "$d2" $k)" ]'
done
check "without dynamic sampling: one round, all 8 groups" \
    '[ "$(field "$l1" sample_rounds)" = 1 ] && [ "$(field "$l1" groups_trained)" = 8 ]'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
