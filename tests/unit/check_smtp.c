/* Placeholder until the smtp tests are written: skips. */
int main(void);
int
main(void)
{
	return 77;
}
