/* Placeholder: the msg module is being written. */
#include "config.h"
#include "msg.h"
extern int postie_placeholder_msg;
int postie_placeholder_msg;
