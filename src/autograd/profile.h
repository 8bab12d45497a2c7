/* The op profiler (internal): the tape calls these when ax_profile_on(). See profile.c. */
#ifndef AX_AUTOGRAD_PROFILE_H
#define AX_AUTOGRAD_PROFILE_H

#include <stdbool.h>

bool ax_profile_on(void);                                     // AX_PROFILE set (read once) or enabled
void ax_profile_forward(const char *op);                      // op was just recorded
void ax_profile_backward(const char *op, double seconds_spent); // op's backward ran for that long
double ax_profile_now(void);                                  // monotonic seconds
#endif
