# Money in Chinese business software is grouped by thousands (千分位): 1,234,567.89.
# Everything not set here comes from Django's zh_Hans formats.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
