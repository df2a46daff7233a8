/* Placeholder: the aliases module is being written. */
#include "config.h"
#include "aliases.h"
extern int postie_placeholder_aliases;
int postie_placeholder_aliases;
