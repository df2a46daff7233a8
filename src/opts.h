/* Placeholder: the opts module is being written. */
#ifndef POSTIE_OPTS_H
#define POSTIE_OPTS_H
#endif
