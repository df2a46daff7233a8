/* Placeholder: the log module is being written. */
#include "config.h"
#include "log.h"
extern int postie_placeholder_log;
int postie_placeholder_log;
