"""The sympy derivations of every claim, one module per derivation family; each module's
``derivations(mutations=None)`` returns its :class:`idtheory.symbolic.Derivation` objects."""
