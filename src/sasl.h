/* Placeholder: the sasl module is being written. */
#ifndef POSTIE_SASL_H
#define POSTIE_SASL_H
#endif
