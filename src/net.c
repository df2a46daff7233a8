/* Placeholder: the net module is being written. */
#include "config.h"
#include "net.h"
extern int postie_placeholder_net;
int postie_placeholder_net;
