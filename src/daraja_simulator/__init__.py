"""An offline stand-in for Safaricom's Daraja API: same paths, bodies and codes over plain HTTP on loopback,
so the gateway can be developed and tested without the sandbox. Outcomes are scripted by amount (see
`daraja_simulator.scenarios`)."""
