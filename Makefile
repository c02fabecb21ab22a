# The two commands of the README, plus helpers. Everything runs on a fresh Debian 12 machine as root.
.PHONY: test demo down build bench pot

test:
	bash tests/run.sh

demo:
	bash tests/testbed/demo.sh

down:
	bash tests/testbed/testbed.sh down

build:
	cargo build --release --locked

pot:
	bash tests/i18n/pot.sh
