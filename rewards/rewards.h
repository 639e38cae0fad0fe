/* rewards/rewards.h: the rewards module's public interface. Scores completions; sees text and
 * token counts, never tensors. Its checkers arrive with issues #6 (math, format, length,
 * language) and #7 (code sandbox, plugins). */
#ifndef REWARDS_H
#define REWARDS_H

#include "rlpt/err.h"

#endif
