/* Placeholder: the io module is being written. */
#include "config.h"
#include "io.h"
extern int postie_placeholder_io;
int postie_placeholder_io;
