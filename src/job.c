/* Placeholder: the job module is being written. */
#include "config.h"
#include "job.h"
extern int postie_placeholder_job;
int postie_placeholder_job;
