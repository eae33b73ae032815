"""qa/retrieve"""
