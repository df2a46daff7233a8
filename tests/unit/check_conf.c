/* Placeholder until the conf tests are written: skips. */
int main(void);
int
main(void)
{
	return 77;
}
