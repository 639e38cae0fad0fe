# The model: config.json, safetensors, parameters, kernels, optimizer (issue #4).
list(APPEND POLICY_MODEL_SOURCES)
