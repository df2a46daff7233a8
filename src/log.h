/* Placeholder: the log module is being written. */
#ifndef POSTIE_LOG_H
#define POSTIE_LOG_H
#endif
