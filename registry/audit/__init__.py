"""Tamper-evident audit log: RFC 6962 Merkle trees and C2SP signed notes/checkpoints."""
