/* Placeholder: the opts module is being written. */
#include "config.h"
#include "opts.h"
extern int postie_placeholder_opts;
int postie_placeholder_opts;
