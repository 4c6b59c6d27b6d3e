/* PLACEHOLDER, replaced by the real init. */
int main(void)
{
	return 1;
}
