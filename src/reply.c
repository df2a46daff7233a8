/* Placeholder: the reply module is being written. */
#include "config.h"
#include "reply.h"
extern int postie_placeholder_reply;
int postie_placeholder_reply;
