/* Placeholder: the sasl module is being written. */
#include "config.h"
#include "sasl.h"
extern int postie_placeholder_sasl;
int postie_placeholder_sasl;
