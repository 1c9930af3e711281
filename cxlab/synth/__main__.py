"""``python -m cxlab.synth --out data/demo``: write a simulated world (see :func:`cxlab.synth.main`)."""

from cxlab.synth.files import main

raise SystemExit(main())
