"""The one authorization choke point.

`permissions` holds the table of roles and named permissions; `policy` answers, for a principal,
"which rows of X may I see" and "may I do P to this object". Views, API operations, exports and
jobs all ask through `policy`; nothing else decides access.
"""
