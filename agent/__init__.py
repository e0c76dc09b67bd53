"""FlexLedger device agent: Modbus meter reading, setpoints, signed measurements, durable buffer.

Public entry points live in their modules: `agent.simulator.start_simulator`,
`agent.keystore.create_keystore`, `agent.runner.AgentRunner`, `agent.cli.app`.
"""
