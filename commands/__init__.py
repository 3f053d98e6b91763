"""The command-line entry points behind `make run`, `make run-https`, `make run-ha` and `make matrix` (and the
wiretap): each parses its arguments, calls the launchers of stack/ (or browser_matrix/) and says what runs where."""
