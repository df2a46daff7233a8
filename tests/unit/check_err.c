/* Placeholder until the err tests are written: skips. */
int main(void);
int
main(void)
{
	return 77;
}
