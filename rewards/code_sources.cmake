# The code reward and its sandbox, reward plugins (issue #7).
list(APPEND REWARDS_CODE_SOURCES)
