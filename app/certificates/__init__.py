"""Certificates of completion: issue, verify, revoke, reissue, signed credentials and PDFs."""
