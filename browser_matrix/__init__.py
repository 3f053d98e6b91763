"""The cross-origin matrix in real browsers: the engines and their cookie profiles, the runner that clicks "Run the
matrix here" in each, and the reports (`make matrix`); the tests drive the same pieces."""
