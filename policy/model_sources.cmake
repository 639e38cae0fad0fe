# The model: config.json, safetensors, parameters, kernels, optimizer (issue #4).
list(APPEND POLICY_MODEL_SOURCES
  model_config.c safetensors.c checkpoint.c params.c memplan.c model.c
  embedding.c rmsnorm.c linear.c rope.c attention.c swiglu.c logprobs.c adamw.c schedule.c
  optim_state.c parallel.c)
