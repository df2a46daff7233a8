/* Placeholder: the aliases module is being written. */
#ifndef POSTIE_ALIASES_H
#define POSTIE_ALIASES_H
#endif
