/* Placeholder: the addr module is being written. */
#include "config.h"
#include "addr.h"
extern int postie_placeholder_addr;
int postie_placeholder_addr;
