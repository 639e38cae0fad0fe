/* rollout/rollout.h: the rollout module's public interface: prompts in, groups of sampled
 * completions with behaviour log-probabilities out. Arrives with issue #8. */
#ifndef ROLLOUT_H
#define ROLLOUT_H

#include "policy.h"

#endif
