# The model: config.json, safetensors, parameters, kernels, optimizer (issue #4).
list(APPEND POLICY_MODEL_SOURCES
  model_config.c safetensors.c checkpoint.c params.c memplan.c model.c
  embedding.c rmsnorm.c linear.c rope.c attention.c swiglu.c logprobs.c adamw.c schedule.c
  optim_state.c parallel.c)
# The kernels' element-wise loops (SwiGLU, RMSNorm, RoPE, AdamW, residual adds, softmax rows)
# vectorise at -O3, not under -O2's cheap cost model: tiny training went from 6830-7020 to
# 7230-7490 tokens/s (bench/bench_model.sh). Bits are unchanged: in ISO C mode (-std=c11) GCC
# contracts no a*b+c into an FMA and reorders no float sum, at -O2 or -O3.
set(POLICY_KERNEL_SOURCES
  model.c embedding.c rmsnorm.c linear.c rope.c attention.c swiglu.c logprobs.c adamw.c)
# -fno-math-errno: sqrtf (AdamW) becomes the vsqrtps it is, where errno kept it a scalar call
# site, which also held back the loop's divisions; square roots and quotients are exact per lane,
# so the bits do not change either.
set_source_files_properties(${POLICY_KERNEL_SOURCES} PROPERTIES
  COMPILE_OPTIONS "-fno-math-errno;$<$<CONFIG:RelWithDebInfo,Release>:-O3>")
