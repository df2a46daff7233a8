/* Placeholder: the reply module is being written. */
#ifndef POSTIE_REPLY_H
#define POSTIE_REPLY_H
#endif
