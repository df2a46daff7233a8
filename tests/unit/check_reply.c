/* Placeholder until the reply tests are written: skips. */
int main(void);
int
main(void)
{
	return 77;
}
