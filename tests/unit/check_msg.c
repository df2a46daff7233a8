/* Placeholder until the msg tests are written: skips. */
int main(void);
int
main(void)
{
	return 77;
}
