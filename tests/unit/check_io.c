/* Placeholder until the io tests are written: skips. */
int main(void);
int
main(void)
{
	return 77;
}
