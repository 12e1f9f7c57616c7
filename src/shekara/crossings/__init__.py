"""Border crossings: who or what crossed, where, when, who inspected, with what result."""
