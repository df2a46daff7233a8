/* Placeholder: the conf module is being written. */
#include "config.h"
#include "conf.h"
extern int postie_placeholder_conf;
int postie_placeholder_conf;
