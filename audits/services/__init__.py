"""Writes of the audit domain. Each service is keyword-only, transactional and writes its AuditEvent."""
