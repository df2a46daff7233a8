/* Placeholder: the program's main is being written. */
#include "config.h"
int main(void);
int
main(void)
{
	return 70;
}
