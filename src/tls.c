/* Placeholder: the tls module is being written. */
#include "config.h"
#include "tls.h"
extern int postie_placeholder_tls;
int postie_placeholder_tls;
