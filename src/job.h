/* Placeholder: the job module is being written. */
#ifndef POSTIE_JOB_H
#define POSTIE_JOB_H
#endif
