/* Placeholder: the smtp module is being written. */
#include "config.h"
#include "smtp.h"
extern int postie_placeholder_smtp;
int postie_placeholder_smtp;
