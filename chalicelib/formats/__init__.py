"""Readers that turn uploaded files into import records (``ImportRecord``).

- ``dec_message.read_dec_messages(data)``: customs DecMessage XML (also inside ImportMessage
  or the DxpMsg exchange envelope).
- ``excel_workbook.read_workbook(data)``: the Excel template of docs/excel-template.md.
- ``single_window_template.read_template(data)``: the Single Window's 货物申报导入模板.
- ``workbooks.read_any_workbook(data)``: either workbook, told apart by its sheets (what an upload uses).

Readers map tags and columns to the canonical JSON fields and normalize representation; they
do not validate business rules (``declaration.parse_content`` does). Import the reader you need
from its module: nothing is imported here so an XML import never loads openpyxl.
"""
